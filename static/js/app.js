import"./chunks/chunk-DOCMNA7S.js";
