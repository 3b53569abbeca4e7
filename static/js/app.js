import"./chunks/chunk-5EOBDGI5.js";
