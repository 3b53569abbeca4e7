import"./chunks/chunk-LLDEWUTX.js";
