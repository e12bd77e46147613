namespace Dif.Tests;

/// <summary>Paths inside the repository (the tests run from tests/.../bin/...).</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string EvaluationPhotos => Path.Combine(Root, "data", "photos", "evaluation");
    public static string DenoiserTrainingPhotos => Path.Combine(Root, "data", "photos", "denoiser-train");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dif.sln"))) return dir.FullName;
        throw new InvalidOperationException("Dif.sln not found above " + AppContext.BaseDirectory);
    }
}
