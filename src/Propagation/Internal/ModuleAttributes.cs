using System.Runtime.CompilerServices;

// The extract and inject paths put their scratch buffers (header line offsets, tracestate members,
// unfolded values) on the stack. Every one is written before it is read, so the runtime's
// zero-initialisation, a large part of a short extraction, is skipped for this assembly.
[module: SkipLocalsInit]
