using System.Runtime.CompilerServices;

// The extract and inject paths put their scratch buffers (header line offsets, tracestate members,
// unfolded values) on the stack. Zeroing them measured as a tenth of an extraction, and every one
// is written before it is read, so the runtime's zero-initialisation is skipped for this assembly.
[module: SkipLocalsInit]
