package io.chunkfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.testing.Requirement;
import io.chunkfs.testing.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd units in {@code mount-scripts/}, as {@code systemd-analyze verify} sees them on an instance name:
 * no warning and exit 0. systemd only warns about an unknown key or a value it cannot parse and goes on (exit 0),
 * so a clean check means no line about the units on stderr too.
 *
 * <p>Every {@code Exec*=} command of the units is {@code /bin/sh} or {@code /usr/bin/mkdir}, which exist on any
 * host with systemd (the launcher's path, {@code $CHUNKFS_BIN}, is read by the shell at run time), so the units
 * are checked as shipped: nothing needs substituting for the executable check to pass.
 */
class SystemdUnitsTest {
    private static final Path SCRIPTS = Path.of("mount-scripts").toAbsolutePath();

    @BeforeEach
    void needsSystemdAnalyze(@TempDir Path dir) {
        Requirement.require(
                Shell.bash(dir, "command -v systemd-analyze").exit() == 0,
                "systemd-analyze is not installed (.ci/install-test-deps installs systemd)");
    }

    /**
     * Copies each unit of {@code mount-scripts/} named in {@code templates} into {@code dir} under its instance
     * name ({@code chunkfs-verify@.timer} becomes {@code chunkfs-verify@INSTANCE.timer}), with each text of
     * {@code edit} replaced in the unit that holds it, and returns the copies. systemd-analyze takes the
     * instance from the file name, and finds a timer's service beside it.
     */
    private static List<Path> instances(Path dir, String instance, Map<String, String> edit, String... templates)
            throws Exception {
        List<Path> units = new ArrayList<>();
        Set<String> edited = new HashSet<>();
        for (String template : templates) {
            String text = Files.readString(SCRIPTS.resolve(template));
            for (Map.Entry<String, String> change : edit.entrySet()) {
                if (text.contains(change.getKey())) {
                    text = text.replace(change.getKey(), change.getValue());
                    edited.add(change.getKey());
                }
            }
            units.add(Files.writeString(dir.resolve(template.replace("@.", "@" + instance + ".")), text));
        }
        assertEquals(edit.keySet(), edited, "every edit found its text");
        return units;
    }

    private record Check(int exit, List<String> problems) {}

    /**
     * {@code systemd-analyze verify} of {@code units}: its exit status and the stderr lines about chunkfs's units
     * (it may also warn about units of the host that a dependency pulls in, which are none of ours).
     */
    private static Check analyze(Path dir, List<Path> units) {
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
        units.forEach(unit -> command.add(unit.toString()));
        Shell.Result result = Shell.run(dir, Map.of(), command, 120);
        List<String> problems =
                result.err().lines().filter(line -> line.contains("chunkfs-")).toList();
        return new Check(result.exit(), problems);
    }

    private static void assertClean(Check check) {
        assertEquals(List.of(), check.problems(), "systemd-analyze verify has nothing to say about the units");
        assertEquals(0, check.exit(), "systemd-analyze verify exits 0");
    }

    private static void assertCaught(Check check, String what) {
        assertTrue(check.exit() != 0 || !check.problems().isEmpty(), what + " is caught");
        assertTrue(check.problems().stream().anyMatch(line -> line.contains(what)), what + ": " + check.problems());
    }

    @Test
    void theVerifyServiceAndItsTimerPassSystemdAnalyzeOnAStoreInstance(@TempDir Path dir) throws Exception {
        // systemd-escape --path /srv/chunks
        assertClean(analyze(
                dir, instances(dir, "srv-chunks", Map.of(), "chunkfs-verify@.service", "chunkfs-verify@.timer")));
    }

    @Test
    void theMountServicePassesSystemdAnalyzeOnAMountPointInstance(@TempDir Path dir) throws Exception {
        // systemd-escape --path /mnt/chunks
        assertClean(analyze(dir, instances(dir, "mnt-chunks", Map.of(), "chunkfs-mount@.service")));
    }

    @Test
    void aTypoInAnyUnitFailsTheCheck(@TempDir Path dir) throws Exception {
        Path service = Files.createDirectories(dir.resolve("service"));
        assertCaught(
                analyze(
                        service,
                        instances(
                                service,
                                "srv-chunks",
                                Map.of("\nNice=19", "\nNicee=19"),
                                "chunkfs-verify@.service",
                                "chunkfs-verify@.timer")),
                "Nicee");
        Path value = Files.createDirectories(dir.resolve("value"));
        assertCaught(
                analyze(
                        value,
                        instances(
                                value,
                                "srv-chunks",
                                Map.of("IOSchedulingClass=idle", "IOSchedulingClass=idel"),
                                "chunkfs-verify@.service",
                                "chunkfs-verify@.timer")),
                "idel");
        Path executable = Files.createDirectories(dir.resolve("executable"));
        assertCaught(
                analyze(
                        executable,
                        instances(
                                executable,
                                "srv-chunks",
                                Map.of("ExecStart=/bin/sh ", "ExecStart=/bin/shh "),
                                "chunkfs-verify@.service",
                                "chunkfs-verify@.timer")),
                "/bin/shh");
        // The timer is checked with its service beside it, as the README installs them.
        Path timer = Files.createDirectories(dir.resolve("timer"));
        List<Path> units = instances(timer, "srv-chunks", Map.of(), "chunkfs-verify@.service");
        units.addAll(instances(
                timer, "srv-chunks", Map.of("OnCalendar=weekly", "OnCalendar=weakly"), "chunkfs-verify@.timer"));
        assertCaught(analyze(timer, units), "weakly");
        Path mount = Files.createDirectories(dir.resolve("mount"));
        assertCaught(
                analyze(
                        mount,
                        instances(mount, "mnt-chunks", Map.of("KillSignal=", "KilSignal="), "chunkfs-mount@.service")),
                "KilSignal");
    }

    @Test
    void theVerifyRunsWeeklyAtIdlePriority() throws Exception {
        List<String> service = Files.readAllLines(SCRIPTS.resolve("chunkfs-verify@.service")).stream()
                .filter(line -> !line.startsWith("#"))
                .toList();
        for (String setting : List.of(
                "Type=oneshot",
                "EnvironmentFile=-/etc/default/chunkfs",
                "Environment=CHUNKFS_BIN=/usr/local/bin/chunkfs",
                "Nice=19",
                "CPUSchedulingPolicy=idle",
                "IOSchedulingClass=idle",
                "ReadWritePaths=-%f")) {
            assertTrue(service.contains(setting), setting);
        }
        assertFalse(
                service.stream().anyMatch(line -> line.startsWith("MemoryDenyWriteExecute=")),
                "the JVM's JIT compiler needs memory it writes and runs");
        List<String> timer = Files.readAllLines(SCRIPTS.resolve("chunkfs-verify@.timer"));
        for (String setting : List.of("OnCalendar=weekly", "Persistent=true", "WantedBy=timers.target")) {
            assertTrue(timer.contains(setting), setting);
        }
        assertTrue(timer.stream().anyMatch(line -> line.startsWith("RandomizedDelaySec=")), "RandomizedDelaySec");
    }
}
