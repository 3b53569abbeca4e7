import"./chunks/chunk-ROAJZHWD.js";
