import"./chunks/chunk-WSLBKYIS.js";
