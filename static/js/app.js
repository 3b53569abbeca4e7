import"./chunks/chunk-3WVJWEL7.js";
