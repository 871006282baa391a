/**
 * The service-provider interface between the API and a runtime. Users never call it; a runtime
 * implements {@link dev.isola.spi.ContainerRuntimeProvider} and registers it in {@code
 * META-INF/services}.
 */
@NullMarked
package dev.isola.spi;

import org.jspecify.annotations.NullMarked;
