// Every call tracer's and listener's ActivitySource and Meter share one name, and OpenTelemetry
// providers subscribe by name: tests running in parallel would see each other's spans and measurements.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
