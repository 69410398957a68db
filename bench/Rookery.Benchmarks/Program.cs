using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Rookery.Benchmarks -- [BenchmarkDotNet args]
// Engine: ROOKERY_BENCH_DB=sqlite|mysql|postgresql with ROOKERY_TEST_MYSQL_*/ROOKERY_TEST_PG_* as for the tests.
BenchmarkSwitcher.FromAssembly(typeof(Rookery.Benchmarks.StoreBenchmarks).Assembly).Run(args);
