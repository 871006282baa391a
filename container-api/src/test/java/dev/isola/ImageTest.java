package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The image value, and what a spec takes from it. */
class ImageTest {
  private static final String ID = "sha256:" + "ab".repeat(32);

  private static Image.Builder image() {
    return Image.builder().id(ID).layer(Path.of("/store/l1")).layer(Path.of("/store/l2"))
        .entrypoint(List.of("/bin/sh")).cmd(List.of("-c", "echo hi")).env("PATH", "/bin").env("A", "1")
        .workingDirectory("/home/app").user(1000, 1001);
  }

  @Test
  void holdsWhatItWasBuiltWith() {
    Image i = image().build();
    assertThat(i.id()).isEqualTo(ID);
    assertThat(i.layers()).containsExactly(Path.of("/store/l1"), Path.of("/store/l2"));
    assertThat(i.command()).containsExactly("/bin/sh", "-c", "echo hi");
    assertThat(i.env()).containsExactly(Map.entry("PATH", "/bin"), Map.entry("A", "1"));
    assertThat(i.workingDirectory()).contains("/home/app");
    assertThat(i.uid()).isEqualTo(1000);
    assertThat(i.gid()).isEqualTo(1001);
    assertThat(i.idMapping()).isEqualTo(IdMapping.automatic());
    assertThat(i).isEqualTo(image().build()).hasSameHashCodeAs(image().build());
    assertThat(i.toString()).contains(ID, "2 layers");
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> Image.builder().id("sha256:xyz")).hasMessageContaining("sha256:xyz");
    assertThatThrownBy(() -> Image.builder().layer(Path.of("relative"))).hasMessageContaining("relative");
    assertThatThrownBy(() -> Image.builder().id(ID).build()).hasMessageContaining("no layers");
    assertThatThrownBy(() -> Image.builder().layer(Path.of("/l")).build()).hasMessageContaining("id is not set");
    assertThatThrownBy(() -> Image.builder().id(ID).layer(Path.of("/l")).layer(Path.of("/l")).build())
        .hasMessageContaining("given twice");
    assertThatThrownBy(() -> Image.builder().workingDirectory("home")).hasMessageContaining("\"home\"");
    assertThatThrownBy(() -> Image.builder().user(-1, 0)).hasMessageContaining("uid");
    assertThatThrownBy(() -> Image.builder().env("A=B", "x")).hasMessageContaining("A=B");
    assertThatThrownBy(() -> Image.builder().cmd(List.of("a\0b"))).hasMessageContaining("NUL");
    assertThatThrownBy(() -> Image.builder().reference("Busybox:1")).hasMessageContaining("\"Busybox:1\"");
    assertThatThrownBy(() -> Image.builder().reference("a:b:c")).hasMessageContaining("lowercase repository");
    assertThatThrownBy(() -> Image.builder().reference("x\ny")).hasMessageContaining("\"x\\ny\"");
  }

  @Test
  void aReferenceIsKeptAsGiven() {
    for (String ref : List.of("busybox", "busybox:1.36", "library/busybox:latest", "localhost:5000/team/app:v1.2-rc",
        "registry-1.docker.io/library/busybox@sha256:" + "0f".repeat(32), "ghcr.io/o/r:t@sha256:" + "a1".repeat(32))) {
      Image i = image().reference(ref).build();
      assertThat(i.reference()).contains(ref);
      assertThat(i.toString()).contains(ref);
      assertThat(i).isNotEqualTo(image().build());
    }
    assertThat(image().build().reference()).isEmpty();
  }

  @Test
  void aSpecTakesTheImagesDefaults() {
    ContainerSpec spec = Container.builder().image(image().build()).build();
    assertThat(spec.command()).containsExactly("/bin/sh", "-c", "echo hi");
    assertThat(spec.env()).containsExactly(Map.entry("PATH", "/bin"), Map.entry("A", "1"));
    assertThat(spec.workingDirectory()).isEqualTo("/home/app");
    assertThat(spec.uid()).isEqualTo(1000);
    assertThat(spec.gid()).isEqualTo(1001);
    assertThat(spec.overlay()).contains(Overlay.ephemeral(List.of(Path.of("/store/l1"), Path.of("/store/l2"))));
    assertThat(spec.rootfs()).isEmpty();
    assertThat(spec.readOnlyRootfs()).as("an overlay is writable by default").isFalse();
  }

  @Test
  void whatTheCallerSetsWins() {
    ContainerSpec spec = Container.builder().image(image().build()).command("true").env("A", "2").env("B", "3")
        .workingDirectory("/").user(0, 0).readOnlyRootfs(true).build();
    assertThat(spec.command()).containsExactly("true");
    assertThat(spec.env()).containsExactly(Map.entry("PATH", "/bin"), Map.entry("A", "2"), Map.entry("B", "3"));
    assertThat(spec.workingDirectory()).isEqualTo("/");
    assertThat(spec.uid()).isZero();
    assertThat(spec.readOnlyRootfs()).isTrue();
    assertThat(Container.builder().image(image().build()).env("PATH", "/mine").build().env()).containsEntry("PATH", "/mine");
    assertThat(spec.toBuilder().build()).isEqualTo(spec);
  }

  @Test
  void anImageWithoutPathGetsTheDefaultOne() {
    Image noPath = Image.builder().id(ID).layer(Path.of("/l")).cmd(List.of("sh")).build();
    assertThat(Container.builder().image(noPath).build().env()).containsEntry("PATH", ContainerSpec.DEFAULT_PATH);
  }

  @Test
  void anImageWithoutACommandNeedsOne() {
    Image none = Image.builder().id(ID).layer(Path.of("/l")).build();
    assertThatThrownBy(() -> Container.builder().image(none).build()).hasMessageContaining("no entrypoint or cmd");
    assertThat(Container.builder().image(none).command("sh").build().command()).containsExactly("sh");
  }

  @Test
  void aPersistentUpperLayerAndTheLastRootWins() {
    Image i = image().build();
    ContainerSpec persistent = Container.builder().image(i, Path.of("/state")).build();
    assertThat(persistent.overlay().flatMap(Overlay::upper)).contains(Path.of("/state"));
    assertThat(persistent.toBuilder().build()).isEqualTo(persistent);
    assertThatThrownBy(() -> Container.builder().image(i, Path.of("/store/l1/x"))).hasMessageContaining("outside every lower");
    ContainerSpec rootfs = Container.builder().image(i).rootfs(Path.of("/r")).command("true").build();
    assertThat(rootfs.image()).isEmpty();
    assertThat(rootfs.overlay()).isEmpty();
    assertThat(rootfs.readOnlyRootfs()).isTrue();
    assertThat(Container.builder().rootfs(Path.of("/r")).image(i).build().rootfs()).isEmpty();
  }

  @Test
  void loadingWithoutALoaderNamesTheArtifact() {
    assertThatThrownBy(() -> Image.load(Path.of("/x.tar"))).isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("dev.isola:container-images");
  }
}
