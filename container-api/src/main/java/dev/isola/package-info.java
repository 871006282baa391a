/**
 * Isola: start isolated processes (containers) from the JVM, with no daemon.
 *
 * <p>{@link dev.isola.Container#builder()} is the entry point. A {@link dev.isola.ContainerSpec} is
 * an immutable description of a container; the runtime that starts it is found with {@link
 * java.util.ServiceLoader} (add {@code dev.isola:container-linux} to the class path).
 */
@NullMarked
package dev.isola;

import org.jspecify.annotations.NullMarked;
