import"./chunks/chunk-ZCNLNTU3.js";
