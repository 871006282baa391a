package dev.isola.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@link ContainerFixture} field of an {@link Isolated} test class: the fixture to start and
 * stop. On a test method's parameter of type {@link ContainerFixture} or {@link dev.isola.Container}:
 * the running fixture of the field named {@link #value()}.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Fixture {
  /** For a parameter: the name of the fixture's field. */
  String value() default "";
}
