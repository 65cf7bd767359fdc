"""What the cases share: the context a case gets, the registry, and helpers of several areas."""
