import"./chunks/chunk-MD7CSJ2D.js";
