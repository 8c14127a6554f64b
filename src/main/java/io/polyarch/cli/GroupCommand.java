package io.polyarch.cli;

import picocli.CommandLine;

/** A command that only groups subcommands ({@code aws}, {@code export}, {@code index}, {@code soci}): alone, it names the first. */
abstract class GroupCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        String first = spec.subcommands().keySet().iterator().next();
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: " + spec.qualifiedName() + " " + first + " --help");
    }
}
