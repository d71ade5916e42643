package statbridge.cli;

import picocli.CommandLine;

/** The version from the jar manifest, with the Java runtime it runs on. */
final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = Statbridge.class.getPackage().getImplementationVersion();
        return new String[] {
            "statbridge " + (version == null ? "(development build)" : version),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}
