import"./chunks/chunk-JWRI3INB.js";
