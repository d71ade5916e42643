package statbridge.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The layering the README promises, checked on the compiled main classes of every module (this
 * module's test classpath holds them all), as Kafka's {@code checkstyle/import-control.xml} keeps
 * its own: the contract at the bottom, the pipeline and the sink on it, the tools on the sink, the
 * console on the tools, the command line on top and the embedded stack over it; and no package
 * cycle anywhere. A dependency against the layering or a new cycle fails the build.
 */
class LayeringTest {

    /** Main classes only: test classes, the modules' test jars and third-party jars are no part of the layering. */
    private static final ImportOption MAIN_CLASSES = new ImportOption() {
        private final Pattern testJar = Pattern.compile(".*-tests\\.jar!?/.*");

        @Override
        public boolean includes(Location location) {
            return !location.contains("/test-classes/") && !location.matches(testJar);
        }
    };

    private static final ArchRule NO_PACKAGE_CYCLE = slices().matching("statbridge.(**)").should().beFreeOfCycles();

    static final JavaClasses MAIN = new ClassFileImporter().withImportOption(MAIN_CLASSES).importPackages("statbridge");

    /** The modules, bottom up, each named by the packages it holds. */
    private static final String[] CONTRACT = {"statbridge.v1..", "statbridge.v2..", "statbridge.catalog..", "statbridge.config..",
        "statbridge.contract..", "statbridge.deadletter..", "statbridge.publish..", "statbridge.registry", "statbridge.runtime..",
        "statbridge.serde..", "statbridge.topics.."};
    private static final String[] CLI = {"statbridge.cli..", "statbridge.logging..", "statbridge.operations..", "statbridge.replay.."};

    @Test
    void theModulesDependOnlyDownwards() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("schemas").definedBy(CONTRACT)
                .layer("registry-server").definedBy("statbridge.registry.server..")
                .layer("pipeline").definedBy("statbridge.pipeline..")
                .layer("sink").definedBy("statbridge.sink..")
                .layer("tools").definedBy("statbridge.tools..")
                .layer("console").definedBy("statbridge.console..")
                .layer("cli").definedBy(CLI)
                .layer("embedded").definedBy("statbridge.embedded..")
                .layer("test-support").definedBy("statbridge.testing..")
                .whereLayer("embedded").mayNotBeAccessedByAnyLayer()
                .whereLayer("cli").mayOnlyBeAccessedByLayers("embedded")
                .whereLayer("console").mayOnlyBeAccessedByLayers("cli", "embedded")
                .whereLayer("tools").mayOnlyBeAccessedByLayers("console", "cli", "embedded")
                .whereLayer("sink").mayOnlyBeAccessedByLayers("tools", "console", "cli", "embedded")
                .whereLayer("pipeline").mayOnlyBeAccessedByLayers("console", "cli", "embedded")
                .whereLayer("registry-server").mayOnlyBeAccessedByLayers("embedded", "test-support")
                .whereLayer("test-support").mayNotBeAccessedByAnyLayer()
                .check(MAIN);
    }

    @Test
    void everyModulesMainClassesAreChecked() {
        assertThat(List.of("statbridge.contract.StatValidator", "statbridge.registry.server.SchemaRegistryServer",
                "statbridge.pipeline.runner.PipelineApp", "statbridge.sink.SinkApp", "statbridge.tools.SinkWatches",
                "statbridge.console.ConsoleServer", "statbridge.cli.Statbridge", "statbridge.embedded.EmbeddedStack",
                "statbridge.testing.RealInfrastructure")).allSatisfy(name -> assertThat(MAIN.contain(name)).as(name).isTrue());
        assertThat(MAIN.contain("statbridge.architecture.cycle.a.Upstream")).as("test classes are left out").isFalse();
    }

    @Test
    void noPackageCycle() {
        NO_PACKAGE_CYCLE.check(MAIN);
    }

    @Test
    void theCycleCheckRefusesACycle() {
        JavaClasses cycle = new ClassFileImporter().importPackages("statbridge.architecture.cycle");
        assertThatThrownBy(() -> NO_PACKAGE_CYCLE.check(cycle)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Cycle detected").hasMessageContaining("Upstream").hasMessageContaining("Downstream");
    }

    @Test
    void thePipelineAndTheSinkKnowNothingOfEachOther() {
        noClasses().that().resideInAPackage("statbridge.pipeline..").should().dependOnClassesThat().resideInAPackage("statbridge.sink..")
                .check(MAIN);
        noClasses().that().resideInAPackage("statbridge.sink..").should().dependOnClassesThat().resideInAPackage("statbridge.pipeline..")
                .check(MAIN);
    }

    @Test
    void theSinkProcessShowsItsApiAndKeepsItsPartsToItself() {
        // SinkApp, SinkConfig, SinkSettings, SinkMetrics, SinkState, SinkMain are what others run the sink by;
        // the loop, the flusher, the lanes and the rest are package-private parts of the process.
        classes().that().resideInAPackage("statbridge.sink").and().arePublic().and().areTopLevelClasses()
                .should().haveSimpleNameStartingWith("Sink").check(MAIN);
    }
}
