/** Runnable programs that show Isola at work; {@link dev.isola.examples.Demo} is the jar's main class. */
@NullMarked
package dev.isola.examples;

import org.jspecify.annotations.NullMarked;
