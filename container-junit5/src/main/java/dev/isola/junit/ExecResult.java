package dev.isola.junit;

/** What a command run in a fixture ({@link ContainerFixture#exec}) did: its exit code and output. */
public record ExecResult(int exitCode, String stdout, String stderr) {}
