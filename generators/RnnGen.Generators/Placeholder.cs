namespace RnnGen.Generators { internal static class Build { } }
