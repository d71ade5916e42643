package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code statbridge completion bash|zsh}: a script a real bash loads and completes with. */
class CompletionCommandTest {

    private final CliRunner cli = new CliRunner();

    /** Runs bash on a script; returns what it printed. */
    private static String bash(String script) throws Exception {
        Process process = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void bashCompletesCommandsSubcommandsAndOptions(@TempDir Path temp) throws Exception {
        assertThat(cli.run("completion", "bash")).isZero();
        Path script = Files.writeString(temp.resolve("statbridge.bash"), cli.out());
        assertThat(bash("source " + script + " && complete -p statbridge")).contains("_complete_statbridge");
        String complete = "source " + script + " && COMP_WORDS=(%s) && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) "
                + "&& COMP_LINE=\"${COMP_WORDS[*]}\" && COMP_POINT=${#COMP_LINE} && _complete_statbridge && printf '%%s\\n' \"${COMPREPLY[@]}\"";
        assertThat(bash(complete.formatted("statbridge leg"))).contains("legacy").doesNotContain("import");
        assertThat(bash(complete.formatted("statbridge legacy ret"))).contains("retire");
        assertThat(bash(complete.formatted("statbridge legacy retire --qu"))).contains("--quiet-period");
    }

    @Test
    void zshGetsTheSameScriptThroughBashcompinit() {
        assertThat(cli.run("completion", "zsh")).isZero();
        assertThat(cli.out()).startsWith("#compdef statbridge\n").contains("bashcompinit", "_complete_statbridge");
        assertThat(cli.run("completion")).isZero();
        assertThat(cli.out()).contains("bash", "zsh");
    }
}
