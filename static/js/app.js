import"./chunks/chunk-7NK4CBGV.js";
