using Dif.Cli;

return await CommandLine.RunAsync(args);
