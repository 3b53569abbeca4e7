import"./chunks/chunk-UFD5TBJM.js";
