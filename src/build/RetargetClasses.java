import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step (run by the pom after the shade plugin, as a single-file program with ASM on the class path): rewrites
 * every class file in the jar whose format predates Java 6 (picocli and slf4j ship Java 5 class files) as a Java 8
 * class file with stack map frames. The JVM's class-data archives never keep pre-Java-6 classes, so without this
 * they are read, parsed and verified with the old verifier on every start (bench/run.sh: part of polyarch's start-up
 * before the builds begin). Nothing else changes: same bytecode, same constant pool entries, same attributes.
 *
 * <p>usage: java -cp asm.jar src/build/RetargetClasses.java JAR
 */
public final class RetargetClasses {
    private static final int JAVA_6 = 50;

    private RetargetClasses() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: RetargetClasses JAR");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        Path tmp = jar.resolveSibling(jar.getFileName() + ".retarget");
        int rewritten = 0;
        // frames need the common super class of two types: the jar's own classes, loaded (not initialised) from it
        try (URLClassLoader loader = new URLClassLoader(new URL[]{jar.toUri().toURL()}, RetargetClasses.class.getClassLoader());
             InputStream raw = Files.newInputStream(jar);
             ZipInputStream in = new ZipInputStream(raw);
             OutputStream rawOut = Files.newOutputStream(tmp);
             ZipOutputStream out = new ZipOutputStream(rawOut)) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                byte[] b = in.readAllBytes();
                if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/") && b.length > 8 && major(b) < JAVA_6) {
                    b = retarget(b, loader);
                    rewritten++;
                }
                ZipEntry o = new ZipEntry(e.getName());
                if (e.getTime() != -1) o.setTime(e.getTime());
                out.putNextEntry(o);
                out.write(b);
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("RetargetClasses: " + rewritten + " pre-Java-6 class files in " + jar.getFileName() + " rewritten as Java 8 class files");
    }

    private static int major(byte[] classFile) {
        return ((classFile[6] & 0xff) << 8) | (classFile[7] & 0xff);
    }

    private static byte[] retarget(byte[] classFile, ClassLoader loader) {
        ClassReader reader = new ClassReader(classFile);
        // no reader passed to the writer: every method is re-emitted, so every method gets its frames computed
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected ClassLoader getClassLoader() {
                return loader;
            }
        };
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                super.visit(Opcodes.V1_8, access, name, signature, superName, interfaces);
            }
        }, ClassReader.SKIP_FRAMES);
        return writer.toByteArray();
    }
}
