// msgpackr requires this inside try/catch and uses its pure-JS decoder when it throws.
throw new Error("msgpackr-extract native acceleration is not installed");
