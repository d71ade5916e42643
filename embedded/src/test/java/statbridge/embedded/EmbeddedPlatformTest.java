package statbridge.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The embedded PostgreSQL for each developer platform is bundled, and any other platform is told so plainly. */
class EmbeddedPlatformTest {

    @Test
    void linuxAndMacOnX86AndArmFindTheirBundledBinaries() {
        assertThat(EmbeddedPlatform.binaries("Linux", "amd64")).contains("postgres-linux-x86_64.txz");
        assertThat(EmbeddedPlatform.binaries("Linux", "aarch64")).contains("postgres-linux-arm_64.txz");
        assertThat(EmbeddedPlatform.binaries("Mac OS X", "x86_64")).contains("postgres-darwin-x86_64.txz");
        assertThat(EmbeddedPlatform.binaries("Mac OS X", "aarch64")).contains("postgres-darwin-arm_64.txz");
        assertThat(EmbeddedPlatform.requireSupported()).as("this machine").isNotBlank();
    }

    @Test
    void anotherPlatformIsRefusedWithWhatToDoInstead() {
        assertThat(EmbeddedPlatform.binaries("Windows 11", "amd64")).isEmpty();
        assertThat(EmbeddedPlatform.binaries("Linux", "riscv64")).isEmpty();
        assertThatThrownBy(() -> EmbeddedPlatform.requireSupported("Windows 11", "amd64"))
                .hasMessageContaining("bundled for Linux and macOS on x86-64 and ARM64; this machine is Windows 11 on amd64")
                .hasMessageContaining("'statbridge pipeline' and 'statbridge sink'");
    }
}
