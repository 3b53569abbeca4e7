import"./chunks/chunk-G7AAXKZR.js";
