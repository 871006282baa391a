/**
 * Test fixtures without a daemon: {@link dev.isola.junit.Isolated} on a JUnit 5 test class starts
 * the {@link dev.isola.junit.Fixture} containers of its fields ({@link
 * dev.isola.junit.ContainerFixture}), waits until each is ready ({@link dev.isola.junit.Wait}) and
 * stops them after, whatever the outcome. The containers run in the test JVM and die with it.
 */
@NullMarked
package dev.isola.junit;

import org.jspecify.annotations.NullMarked;
