import"./chunks/chunk-WF4ICL4J.js";
