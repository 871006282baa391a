package dev.isola.junit;

import dev.isola.Container;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The extension of {@link Isolated}: starts a class's {@code static} {@link Fixture} fields before
 * all its tests and its instance fields before each, all of one kind at once in parallel; stops
 * them after, whatever the outcome; resolves {@code @Fixture("name")} parameters; and adds the
 * fixtures' recent output to a test's failure.
 */
final class IsolaExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
    TestExecutionExceptionHandler, ParameterResolver {

  @Override
  public void beforeAll(ExtensionContext context) {
    startAll(fixtures(context.getRequiredTestClass(), null));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stopAll(fixtures(context.getRequiredTestClass(), null));
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      startAll(fixtures(instance.getClass(), instance));
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      stopAll(fixtures(instance.getClass(), instance));
    }
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    for (ContainerFixture f : allOf(context)) {
      if (f.started()) {
        failure.addSuppressed(new FixtureOutput(f.toString() + " " + f.recentOutput()));
      }
    }
    throw failure;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return parameter.isAnnotated(Fixture.class) && (type == ContainerFixture.class || type == Container.class);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    String name = parameter.findAnnotation(Fixture.class).map(Fixture::value).orElse("");
    Object instance = context.getTestInstance().orElse(null);
    for (Class<?> c = context.getRequiredTestClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (field.getName().equals(name) && field.isAnnotationPresent(Fixture.class)) {
          ContainerFixture f = value(field, Modifier.isStatic(field.getModifiers()) ? null : instance);
          return parameter.getParameter().getType() == Container.class ? f.container() : f;
        }
      }
    }
    throw new ParameterResolutionException("no @Fixture field named \"" + name + "\" in " + context.getRequiredTestClass().getName()
        + (name.isEmpty() ? "; name the field: @Fixture(\"fieldName\")" : ""));
  }

  /** The fixtures of {@code type}'s static fields (instance null), or of {@code instance}'s own fields. */
  private static List<ContainerFixture> fixtures(Class<?> type, Object instance) {
    List<ContainerFixture> found = new ArrayList<>();
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (field.isAnnotationPresent(Fixture.class) && Modifier.isStatic(field.getModifiers()) == (instance == null)) {
          found.add(value(field, instance));
        }
      }
    }
    return found;
  }

  private static List<ContainerFixture> allOf(ExtensionContext context) {
    List<ContainerFixture> all = new ArrayList<>(fixtures(context.getRequiredTestClass(), null));
    Optional<Object> instance = context.getTestInstance();
    instance.ifPresent(i -> all.addAll(fixtures(i.getClass(), i)));
    return all;
  }

  private static ContainerFixture value(Field field, Object instance) {
    if (field.getType() != ContainerFixture.class) {
      throw new ExtensionConfigurationException("@Fixture field " + field.getName() + " is a " + field.getType().getName()
          + "; it must be a ContainerFixture");
    }
    try {
      field.setAccessible(true);
      Object value = field.get(instance);
      if (value == null) {
        throw new ExtensionConfigurationException("@Fixture field " + field.getName() + " is null; give it a value:"
            + " ContainerFixture.of(Container.builder()…build())");
      }
      return (ContainerFixture) value;
    } catch (IllegalAccessException e) {
      throw new ExtensionConfigurationException("cannot read @Fixture field " + field.getName() + ": " + e, e);
    }
  }

  /** Starts them in parallel; if one fails, the others are stopped and the first failure thrown. */
  private static void startAll(List<ContainerFixture> fixtures) {
    List<CompletableFuture<Void>> starts = new ArrayList<>();
    for (ContainerFixture f : fixtures) {
      starts.add(CompletableFuture.runAsync(f::start, r -> {
        Thread t = new Thread(r, "isola-fixture-start");
        t.setDaemon(true);
        t.start();
      }));
    }
    try {
      CompletableFuture.allOf(starts.toArray(new CompletableFuture<?>[0])).join();
    } catch (CompletionException e) {
      stopAll(fixtures);
      throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause() : e;
    }
  }

  private static void stopAll(List<ContainerFixture> fixtures) {
    RuntimeException first = null;
    for (ContainerFixture f : fixtures) {
      try {
        f.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** A fixture's recent output, added to a failed test's exception. */
  static final class FixtureOutput extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FixtureOutput(String message) {
      super(message, null, false, false);
    }
  }
}
