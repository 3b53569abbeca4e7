import"./chunks/chunk-OGDJJYID.js";
