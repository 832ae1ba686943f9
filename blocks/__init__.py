"""Pure Block Kit builders: plain data in, Block Kit out, no I/O."""
