import"./chunks/chunk-T44CRU77.js";
