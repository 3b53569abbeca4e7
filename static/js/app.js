import"./chunks/chunk-FBWOAN3E.js";
