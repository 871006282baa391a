package dev.isola.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.ImagePullException;
import org.junit.jupiter.api.Test;

/** References are taken apart as docker does, and plain HTTP is only for loopback or when allowed. */
class ReferenceTest {
  @Test
  void dockerHubShortNamesGetTheirRegistryLibraryAndTag() {
    assertThat(Reference.parse("busybox").canonical()).isEqualTo("docker.io/library/busybox:latest");
    assertThat(Reference.parse("busybox:1.36").canonical()).isEqualTo("docker.io/library/busybox:1.36");
    assertThat(Reference.parse("bitnami/redis:7").canonical()).isEqualTo("docker.io/bitnami/redis:7");
    assertThat(Reference.parse("busybox").endpoint()).isEqualTo("registry-1.docker.io");
  }

  @Test
  void aFirstComponentWithADotAPortOrLocalhostIsTheRegistry() {
    Reference r = Reference.parse("localhost:5000/team/app:v1.2");
    assertThat(r.registry).isEqualTo("localhost:5000");
    assertThat(r.repository).isEqualTo("team/app");
    assertThat(r.tag).isEqualTo("v1.2");
    assertThat(Reference.parse("localhost/app").registry).isEqualTo("localhost");
    assertThat(Reference.parse("ghcr.io/owner/tool").canonical()).isEqualTo("ghcr.io/owner/tool:latest");
    String digest = "sha256:" + "ab".repeat(32);
    Reference pinned = Reference.parse("quay.io/x/y@" + digest);
    assertThat(pinned.tag).isNull();
    assertThat(pinned.manifestReference()).isEqualTo(digest);
    assertThat(Reference.parse("quay.io/x/y:1@" + digest).canonical()).isEqualTo("quay.io/x/y:1@" + digest);
  }

  @Test
  void badPartsAreNamed() {
    assertThatThrownBy(() -> Reference.parse("Upper/case")).isInstanceOf(ImagePullException.class)
        .hasMessageContaining("the repository component \"Upper\"");
    assertThatThrownBy(() -> Reference.parse("app:bad/tag")).isInstanceOf(ImagePullException.class)
        .hasMessageContaining("the registry \"app:bad\"");
    assertThatThrownBy(() -> Reference.parse("app:t@g")).isInstanceOf(ImagePullException.class)
        .hasMessageContaining("the digest \"g\"");
    assertThatThrownBy(() -> Reference.parse("app@md5:00")).isInstanceOf(ImagePullException.class)
        .hasMessageContaining("the digest \"md5:00\"");
  }

  @Test
  void plainHttpOnlyForLoopbackOrAllowedRegistries() {
    Registries r = Registries.defaults();
    assertThat(r.scheme("localhost:5000")).isEqualTo("http");
    assertThat(r.scheme("127.0.0.1:5000")).isEqualTo("http");
    assertThat(r.scheme("10.0.0.8:5000")).isEqualTo("https");
    assertThat(r.scheme("registry.example:5000")).isEqualTo("https");
    assertThat(r.withInsecure("registry.example:5000").scheme("registry.example:5000")).isEqualTo("http");
  }
}
