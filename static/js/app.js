import"./chunks/chunk-IL2YQU2E.js";
