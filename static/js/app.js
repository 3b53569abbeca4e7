import"./chunks/chunk-VEQAYAGQ.js";
