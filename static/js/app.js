import"./chunks/chunk-7EBFWYZK.js";
