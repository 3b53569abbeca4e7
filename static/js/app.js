import"./chunks/chunk-TCD4UFEK.js";
