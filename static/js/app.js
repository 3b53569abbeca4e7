import"./chunks/chunk-HLZIHTWC.js";
