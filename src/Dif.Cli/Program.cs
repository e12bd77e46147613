using Dif.Cli;
using Dif.Devices;

// The CLI owns its process: it opts in to Dif's native settings (allocator, libtorch logging) before any work.
NativeSetup.ConfigureProcess();
return await CommandLine.RunAsync(args);
