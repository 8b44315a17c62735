// The tests set process environment variables (SIPTRACECONTEXT_*) and every listener records on the
// same meter name: tests running in parallel would see each other's settings and measurements.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
