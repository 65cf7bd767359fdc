"""Built-in target profiles (--profile NAME), each with its known-deviations file beside it."""
