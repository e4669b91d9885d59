import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { LANDMARK_EDGES } from '../../src/formats/landmarks.ts';
import type { MotionFile } from '../../src/formats/motion.ts';
import { pixelRay } from '../../src/geometry/camera.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { motionFrameKinematics, skeletonTopology } from '../../src/export/pose.ts';
import { anchor, FOOT, MID_HIP, type Anchor, type Points } from './anchors.ts';
import { bodyWeightN, ForceArrows, hasForces, type ArrowState } from './forces.ts';
import { FrameGovernor } from './frame-governor.ts';
import { sourceSize, type ResultBundle } from './load.ts';

export const COLORS = {
  body: 0x8fb3e0, skeleton: 0xffd166, kinematic: 0xf4845f, truth: 0x5ad17a, contact: 0xef476f,
  frustum: 0x3ad0ff, ground: 0x20252d, grid: 0x3a4350,
};

/** Headless / software GL (SwiftShader): skip MSAA, which costs most of a frame on the CPU. */
const SOFTWARE_RENDERING = (/HeadlessChrome/.test(navigator.userAgent) || new URLSearchParams(location.search).has('fast'))
  && !new URLSearchParams(location.search).has('quality');

/**
 * Playback on software GL. SwiftShader shades and transforms on the CPU: a
 * full-quality frame (physically based shading, PCF shadows, smooth capsules)
 * costs more than the 33 ms a 30 fps frame may take, mostly per-pixel work on
 * the ground and per-vertex work on the instanced body. While playing, the view
 * drops the shadow pass, draws the ground flat, the body with Lambert shading
 * and coarser capsules (see also PAUSED_ONLY), and a frame-time governor picks
 * the resolution (bench:viewer, chromium's CPU per drawn frame: ~110–125 ms
 * before, ~38–46 ms after).
 * Pausing restores the full-quality picture, so inspected and scrubbed frames
 * look as before. With a real GPU only the governor acts (it stays at full
 * resolution while frames fit the budget).
 */
const CHEAP_PLAYBACK = SOFTWARE_RENDERING;
/**
 * Layer of what the playback picture leaves out: on SwiftShader lines and point
 * sprites cost far more than their few pixels suggest (measured per played frame:
 * the 80-line grid ~7 ms, the 33 landmark dots ~5 ms of its CPU time). While
 * playing, the flat ground draws the grid lines itself (a few arithmetic
 * operations per pixel; a grid texture cost ~9 ms of SwiftShader time per frame
 * with mipmaps), and the landmark dots (the capsule ends mark the same places)
 * are left out.
 */
const PAUSED_ONLY = 1;
/** Grid cells: 0.5 m, as GridHelper(20, 40). */
const GRID_CELL = 0.5;
/** Drawing-buffer scale playback starts at (the governor moves it from there). */
const PLAYBACK_START_SCALE = SOFTWARE_RENDERING ? 0.5 : 1;
/** Shadow map size (texels per side). */
const SHADOW_MAP_SIZE = 1024;
/** Half-size of the sun's shadow camera (metres), and the sun's position (it aims at the origin). */
const SHADOW_EXTENT = 4;
const SUN = new THREE.Vector3(3, 6, 4);
/** Hemisphere light (sky and ground colours, intensity) and sun intensity. */
const LIGHTS = { sky: 0xdde6ff, underground: 0x2a2420, hemisphere: 1.1, sun: 2.0 };
/** Radius of the ground disc the shadow camera covers: its square, stretched along the sun's azimuth by 1/sin(elevation). */
const SHADOW_RADIUS = Math.hypot(SHADOW_EXTENT, (SHADOW_EXTENT * SUN.length()) / SUN.y);

const MID_SHOULDER = [11, 12] as const;
const MID_EAR = [7, 8] as const;

/** Capsules of the body drawn between landmarks: [from, to, radius in metres]. */
const CAPSULES: ReadonlyArray<readonly [Anchor, Anchor, number]> = [
  [MID_SHOULDER, MID_HIP, 0.1], [11, 12, 0.05], [23, 24, 0.075], [MID_SHOULDER, MID_EAR, 0.045],
  [11, 13, 0.045], [13, 15, 0.037], [12, 14, 0.045], [14, 16, 0.037], [15, 19, 0.03], [16, 20, 0.03],
  [23, 25, 0.068], [25, 27, 0.05], [24, 26, 0.068], [26, 28, 0.05], [29, 31, 0.035], [30, 32, 0.035], [27, 29, 0.04], [28, 30, 0.04],
];
const HEAD_RADIUS = 0.1;

/** What a mesh is drawn with. */
interface Look { material: THREE.Material; geometry: THREE.BufferGeometry }
const lookOf = (mesh: THREE.Mesh): Look => ({ material: mesh.material as THREE.Material, geometry: mesh.geometry });
function wear(mesh: THREE.Mesh, look: Look): void {
  mesh.material = look.material;
  mesh.geometry = look.geometry;
}

/**
 * A flat (unlit) ground material that draws the grid's lines (GRID_CELL apart,
 * the grid's colour at its opacity) from the world position of each pixel,
 * antialiased with screen-space derivatives and faded where cells get smaller
 * than about two pixels.
 */
function gridGroundMaterial(color: THREE.Color): THREE.MeshBasicMaterial {
  const material = new THREE.MeshBasicMaterial({ color });
  const gridColor = new THREE.Color(COLORS.grid);
  material.onBeforeCompile = (shader) => {
    shader.uniforms.gridColor = { value: gridColor };
    shader.vertexShader = shader.vertexShader
      .replace('void main() {', 'varying vec2 vGroundXZ;\nvoid main() {')
      .replace('#include <project_vertex>', '#include <project_vertex>\n  vGroundXZ = (modelMatrix * vec4(transformed, 1.0)).xz;');
    shader.fragmentShader = shader.fragmentShader
      .replace('void main() {', `uniform vec3 gridColor;\nvarying vec2 vGroundXZ;\nvoid main() {`)
      .replace('#include <color_fragment>', `#include <color_fragment>
  vec2 cell = vGroundXZ / ${GRID_CELL.toFixed(3)};
  vec2 px = fwidth(cell);
  vec2 toLine = abs(fract(cell - 0.5) - 0.5) / max(px, 1e-6);
  float line = (1.0 - min(min(toLine.x, toLine.y), 1.0)) * (1.0 - smoothstep(0.25, 0.5, max(px.x, px.y)));
  diffuseColor.rgb = mix(diffuseColor.rgb, gridColor, 0.6 * line);`);
  };
  return material;
}

/** Reused per frame by setFrame and resize (no allocation while playing). */
const SCRATCH = {
  va: new THREE.Vector3(), vb: new THREE.Vector3(), mid: new THREE.Vector3(), scale: new THREE.Vector3(),
  up: new THREE.Vector3(0, 1, 0), m: new THREE.Matrix4(), q: new THREE.Quaternion(), size: new THREE.Vector2(),
};

/**
 * The 3D view: the reconstruction as capsules and landmark points, its skeleton
 * from forward kinematics, ghosts of the kinematic stage and of the truth, foot
 * contacts, the ground and the camera frustum.
 */
export class SceneView {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene = new THREE.Scene();
  readonly camera = new THREE.PerspectiveCamera(40, 1, 0.05, 200);
  readonly controls: OrbitControls;
  private content = new THREE.Group();
  private body = new THREE.Group();
  /** Capsules as two instanced meshes (cylinders; end spheres + head): 2 draw calls instead of ~55. */
  private cylinders: THREE.InstancedMesh | null = null;
  private spheres: THREE.InstancedMesh | null = null;
  private landmarkPoints: THREE.Points | null = null;
  private skeletonLines: THREE.LineSegments | null = null;
  private skeletonFrames: Float32Array[] = [];
  private ghosts: Record<'kinematic' | 'truth', THREE.LineSegments | null> = { kinematic: null, truth: null };
  private contactMarkers: { left: THREE.Mesh; right: THREE.Mesh } | null = null;
  /** Ground-force and residual arrows of a physics result that measured them. */
  private forceArrows: ForceArrows | null = null;
  private bundle: ResultBundle | null = null;
  private needsRender = true;
  private groundY = 0;
  private basePixelRatio = Math.min(2, window.devicePixelRatio || 1);
  private playbackQuality = false;
  /** Picks the drawing-buffer scale while playing from measured frame times. */
  readonly governor = new FrameGovernor({ startScale: PLAYBACK_START_SCALE });
  /** Meshes that look different while playing (cheaper material, fewer triangles). */
  private swaps: Array<{ mesh: THREE.Mesh; full: Look; fast: Look }> = [];
  /** Called when a render is requested (the app's draw loop sleeps while nothing changes). */
  onRenderRequest: () => void = () => undefined;
  frame = 0;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: !SOFTWARE_RENDERING, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(this.basePixelRatio);
    this.renderer.shadowMap.enabled = true;
    this.renderer.shadowMap.type = THREE.PCFShadowMap;
    this.scene.background = new THREE.Color(0x15181d);
    this.scene.fog = new THREE.Fog(0x15181d, 12, 30);
    this.camera.layers.enable(PAUSED_ONLY);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', () => this.requestRender());
    this.scene.add(new THREE.HemisphereLight(LIGHTS.sky, LIGHTS.underground, LIGHTS.hemisphere));
    const sun = new THREE.DirectionalLight(0xffffff, LIGHTS.sun);
    sun.position.copy(SUN);
    sun.castShadow = true;
    sun.shadow.mapSize.set(SHADOW_MAP_SIZE, SHADOW_MAP_SIZE);
    Object.assign(sun.shadow.camera, { left: -SHADOW_EXTENT, right: SHADOW_EXTENT, top: SHADOW_EXTENT, bottom: -SHADOW_EXTENT, near: 0.5, far: 20 });
    sun.shadow.bias = -0.0005;
    this.scene.add(sun, sun.target);
    this.scene.add(this.content);
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  requestRender(): void {
    this.needsRender = true;
    this.onRenderRequest();
  }

  /**
   * Playing: the playback picture (see CHEAP_PLAYBACK) at the governor's
   * resolution; paused: the full-quality picture at full resolution.
   */
  setPlaybackQuality(playing: boolean): void {
    if (playing === this.playbackQuality) return;
    this.playbackQuality = playing;
    if (playing) this.governor.reset();
    const cheap = playing && CHEAP_PLAYBACK;
    // Full-quality materials only ever render with shadows, playback ones only without:
    // each keeps its one compiled program, so switching costs no shader compile after the first time.
    this.renderer.shadowMap.enabled = !cheap;
    for (const { mesh, full, fast } of this.swaps) wear(mesh, cheap ? fast : full);
    if (cheap) this.camera.layers.disable(PAUSED_ONLY); else this.camera.layers.enable(PAUSED_ONLY);
    this.applyPixelRatio();
  }

  /** Drawing-buffer scale in use (1 = full resolution). */
  get pixelScale(): number { return this.playbackQuality ? this.governor.scale : 1; }

  /**
   * Feeds the governor one played frame (its time in ms and the clip frames
   * advanced since the previous one, from the draw loop); resizes the drawing
   * buffer when it picks another scale.
   */
  recordPlayedFrame(ms: number, advanced: number): void {
    if (!this.playbackQuality) return;
    if (this.governor.record(ms, advanced) !== null) this.applyPixelRatio();
  }

  private applyPixelRatio(): void {
    this.renderer.setPixelRatio(this.basePixelRatio * this.pixelScale);
    this.resize();
  }

  /**
   * Draws the playback picture once, clipped to one background pixel, ahead of
   * the first play (called once the first frame is up). Compiling the shaders is
   * not enough: SwiftShader builds its pipelines at the first draw, which stalled
   * the first played frame by 300–400 ms.
   */
  warmUpPlayback(): void {
    if (!CHEAP_PLAYBACK || this.playbackQuality || !this.swaps.length) return;
    this.renderer.shadowMap.enabled = false;
    for (const { mesh, fast } of this.swaps) wear(mesh, fast);
    this.camera.layers.disable(PAUSED_ONLY);
    try {
      // The top-left pixel (scissor y counts from the bottom) shows the background in both pictures.
      this.renderer.setScissor(0, Math.max(0, this.canvas.clientHeight - 1), 1, 1);
      this.renderer.setScissorTest(true);
      this.renderer.render(this.scene, this.camera);
    } finally {
      this.renderer.setScissorTest(false);
      this.camera.layers.enable(PAUSED_ONLY);
      this.renderer.shadowMap.enabled = true;
      for (const { mesh, full } of this.swaps) wear(mesh, full);
    }
  }

  resize(): void {
    const w = this.canvas.clientWidth || 1;
    const h = this.canvas.clientHeight || 1;
    const size = this.renderer.getSize(SCRATCH.size);
    const ratio = this.renderer.getPixelRatio();
    // setSize reallocates the drawing buffer: skip it when nothing changed.
    if (size.x === w && size.y === h && this.canvas.width === Math.floor(w * ratio) && this.canvas.height === Math.floor(h * ratio)) {
      this.requestRender();
      return;
    }
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  /** Renders when something changed; returns whether it drew. */
  renderIfNeeded(): boolean {
    if (!this.needsRender) return false;
    this.needsRender = false;
    this.renderer.render(this.scene, this.camera);
    return true;
  }

  /** Replaces everything shown with a new result. */
  setBundle(bundle: ResultBundle): void {
    this.disposeContent();
    this.bundle = bundle;
    this.groundY = bundle.motion?.ground.height ?? 0;
    this.buildGround();
    const motion = bundle.motion;
    if (motion) {
      this.buildBody();
      this.buildSkeleton(motion);
      this.contactMarkers = { left: this.contactMarker(), right: this.contactMarker() };
      const weight = hasForces(motion) ? bodyWeightN(motion) : null;
      if (weight) {
        this.forceArrows = new ForceArrows(weight, this.groundY);
        this.content.add(this.forceArrows.group);
      }
    }
    if (bundle.kinematic) this.ghosts.kinematic = this.ghost(COLORS.kinematic);
    if (bundle.truth) this.ghosts.truth = this.ghost(COLORS.truth);
    const cam = motion?.camera ?? bundle.truth?.camera;
    if (cam) this.buildFrustum(cam, sourceSize(bundle));
    this.frameView();
    this.setFrame(0);
  }

  /** Mean time of n renders including the GPU's work (gl.finish), for benchmarks. */
  timeRenders(n: number): number {
    const gl = this.renderer.getContext();
    gl.finish();
    const t0 = performance.now();
    for (let k = 0; k < n; k++) {
      this.renderer.render(this.scene, this.camera);
      gl.finish();
    }
    return (performance.now() - t0) / n;
  }

  gpuMemory(): { geometries: number; textures: number; programs: number; materialsOnPrograms: number } {
    const { geometries, textures } = this.renderer.info.memory;
    const programs = this.renderer.info.programs ?? [];
    return { geometries, textures, programs: programs.length, materialsOnPrograms: programs.reduce((n, p) => n + p.usedTimes, 0) };
  }

  /** Shows frame i of every layer. */
  setFrame(i: number): void {
    this.frame = i;
    const b = this.bundle;
    if (!b) return;
    const mf = b.motion?.frames[i];
    if (mf) {
      const pts = mf.joints3d;
      // Scratch objects: a played frame allocates nothing here.
      const { va, vb, mid, m, q, up, scale: one } = SCRATCH;
      const hasLandmarks = pts.length >= 33;
      if (hasLandmarks && this.cylinders && this.spheres) {
        for (let k = 0; k < CAPSULES.length; k++) {
          const [from, to, r] = CAPSULES[k]!;
          anchor(pts, from, va);
          anchor(pts, to, vb);
          this.spheres.setMatrixAt(2 * k, m.compose(va, q.identity(), one.setScalar(r)));
          this.spheres.setMatrixAt(2 * k + 1, m.compose(vb, q, one));
          const len = va.distanceTo(vb);
          mid.addVectors(va, vb).multiplyScalar(0.5);
          if (len > 1e-6) q.setFromUnitVectors(up, vb.sub(va).normalize());
          this.cylinders.setMatrixAt(k, m.compose(mid, q, one.set(r, Math.max(len, 1e-4), r)));
        }
        anchor(pts, MID_EAR, va);
        this.spheres.setMatrixAt(2 * CAPSULES.length, m.compose(va, q.identity(), one.setScalar(HEAD_RADIUS)));
        this.cylinders.instanceMatrix.needsUpdate = true;
        this.spheres.instanceMatrix.needsUpdate = true;
      }
      const attr = this.landmarkPoints!.geometry.getAttribute('position') as THREE.BufferAttribute;
      for (let k = 0; k < Math.min(pts.length, attr.count); k++) attr.setXYZ(k, pts[k]![0], pts[k]![1], pts[k]![2]);
      attr.needsUpdate = true;
      this.landmarkPoints!.geometry.setDrawRange(0, pts.length);
      this.landmarkPoints!.geometry.computeBoundingSphere();
      const sk = this.skeletonLines!.geometry.getAttribute('position') as THREE.BufferAttribute;
      (sk.array as Float32Array).set(this.skeletonFrames[i]!);
      sk.needsUpdate = true;
      this.skeletonLines!.geometry.computeBoundingSphere();
      if (this.contactMarkers && hasLandmarks) {
        for (const side of ['left', 'right'] as const) {
          const m = this.contactMarkers[side];
          anchor(pts, FOOT[side], va);
          m.position.set(va.x, this.groundY + 0.002, va.z);
          m.visible = side === 'left' ? mf.contacts.leftFoot : mf.contacts.rightFoot;
        }
      }
      this.forceArrows?.update(mf);
    }
    this.updateGhost(this.ghosts.kinematic, b.kinematic?.frames[i]?.joints3d);
    this.updateGhost(this.ghosts.truth, b.truth?.frames[i]?.joints3d);
    this.requestRender();
  }

  setVisible(layer: 'body' | 'skeleton' | 'kinematic' | 'truth', visible: boolean): void {
    const obj = layer === 'body' ? this.body : layer === 'skeleton' ? this.skeletonLines : this.ghosts[layer];
    if (obj) obj.visible = visible;
    if (layer === 'body' && this.landmarkPoints) this.landmarkPoints.visible = visible;
    this.requestRender();
  }

  /** The force arrows of the current frame (null without forces in motion.json). */
  forceArrowState(): Record<'leftFoot' | 'rightFoot' | 'residual', ArrowState> | null {
    return this.forceArrows?.state() ?? null;
  }

  /** World position of landmark i as currently drawn (read back from the rendered geometry). */
  landmarkPosition(i: number): [number, number, number] | null {
    const attr = this.landmarkPoints?.geometry.getAttribute('position') as THREE.BufferAttribute | undefined;
    if (!attr || i < 0 || i >= (this.landmarkPoints!.geometry.drawRange.count ?? 0)) return null;
    return [attr.getX(i), attr.getY(i), attr.getZ(i)];
  }

  /** World position of skeleton joint j as currently drawn (the child end of its bone line). */
  skeletonJointPosition(j: number): [number, number, number] | null {
    const f = this.skeletonFrames[this.frame];
    const n = this.bundle?.motion?.skeleton.joints.length ?? 0;
    if (!f || j < 0 || j >= n) return null;
    const attr = this.skeletonLines!.geometry.getAttribute('position') as THREE.BufferAttribute;
    // Layout: segment j = (parent, joint), written for every joint (roots: (joint, joint)).
    return [attr.getX(2 * j + 1), attr.getY(2 * j + 1), attr.getZ(2 * j + 1)];
  }

  private buildGround(): void {
    // Only the disc the sun's shadow camera covers receives shadows (sampling the
    // shadow map is a large share of a software-rendered frame); the ring around it
    // has the same material and looks the same (no shadow can reach it).
    const material = new THREE.MeshStandardMaterial({ color: COLORS.ground, roughness: 0.95 });
    const outer = 12;
    const inner = SHADOW_RADIUS;
    const shadowed = new THREE.Mesh(new THREE.CircleGeometry(inner, 64).rotateX(-Math.PI / 2), material);
    shadowed.receiveShadow = true;
    const ring = new THREE.Mesh(new THREE.RingGeometry(inner, outer, 64, 1).rotateX(-Math.PI / 2), material);
    // Playing: one flat square (the ring is left out) in the colour the ground has under
    // the lights (it is nearly flat-lit anyway), drawing the grid lines itself.
    const flat = gridGroundMaterial(this.litGroundColor());
    this.swaps.push({ mesh: shadowed, full: lookOf(shadowed), fast: { material: flat, geometry: new THREE.PlaneGeometry(2 * outer, 2 * outer).rotateX(-Math.PI / 2) } });
    ring.layers.set(PAUSED_ONLY);
    const ground = new THREE.Group().add(shadowed, ring);
    ground.position.y = this.groundY;
    const grid = new THREE.GridHelper(20, 40, 0x55606f, COLORS.grid);
    grid.position.y = this.groundY + 0.001;
    grid.layers.set(PAUSED_ONLY);
    (grid.material as THREE.Material).transparent = true;
    (grid.material as THREE.Material).opacity = 0.6;
    this.content.add(ground, grid);
  }

  private buildBody(): void {
    const material = new THREE.MeshStandardMaterial({ color: COLORS.body, roughness: 0.55, metalness: 0.05 });
    // Playing: diffuse only (no specular, no shadow lookups); the same lights give nearly the same shape cues.
    const lambert = new THREE.MeshLambertMaterial({ color: COLORS.body });
    this.body = new THREE.Group();
    this.cylinders = new THREE.InstancedMesh(new THREE.CylinderGeometry(1, 1, 1, 16, 1, true), material, CAPSULES.length);
    this.spheres = new THREE.InstancedMesh(new THREE.SphereGeometry(1, 16, 12), material, 2 * CAPSULES.length + 1);
    // Playing: coarser capsules. SwiftShader transforms every vertex of every instance on the CPU
    // (the body was ~half of its time per frame); at playback resolution the facets do not show.
    this.swaps.push(
      { mesh: this.cylinders, full: lookOf(this.cylinders), fast: { material: lambert, geometry: new THREE.CylinderGeometry(1, 1, 1, 10, 1, true) } },
      { mesh: this.spheres, full: lookOf(this.spheres), fast: { material: lambert, geometry: new THREE.SphereGeometry(1, 10, 6) } },
    );
    for (const m of [this.cylinders, this.spheres]) {
      m.castShadow = true;
      m.receiveShadow = true;
      // Instances move every frame; skip culling against stale bounds.
      m.frustumCulled = false;
      this.body.add(m);
    }
    const pts = new THREE.BufferGeometry();
    pts.setAttribute('position', new THREE.BufferAttribute(new Float32Array(3 * 64), 3));
    this.landmarkPoints = new THREE.Points(pts, new THREE.PointsMaterial({ color: 0xffffff, size: 5, sizeAttenuation: false, depthTest: false }));
    this.landmarkPoints.renderOrder = 2;
    this.landmarkPoints.layers.set(PAUSED_ONLY);
    this.content.add(this.body, this.landmarkPoints);
  }

  private buildSkeleton(motion: MotionFile): void {
    const topo = skeletonTopology(motion.skeleton);
    const n = topo.names.length;
    this.skeletonFrames = motion.frames.map((frame) => {
      const fk = motionFrameKinematics(topo, frame).positions;
      const arr = new Float32Array(6 * n);
      topo.parents.forEach((p, j) => {
        arr.set(fk[p < 0 ? j : p]!, 6 * j);
        arr.set(fk[j]!, 6 * j + 3);
      });
      return arr;
    });
    const geom = new THREE.BufferGeometry();
    geom.setAttribute('position', new THREE.BufferAttribute(new Float32Array(6 * n), 3));
    this.skeletonLines = new THREE.LineSegments(geom, new THREE.LineBasicMaterial({ color: COLORS.skeleton, depthTest: false, transparent: true, opacity: 0.95 }));
    this.skeletonLines.renderOrder = 3;
    this.content.add(this.skeletonLines);
  }

  private ghost(color: number): THREE.LineSegments {
    const geom = new THREE.BufferGeometry();
    geom.setAttribute('position', new THREE.BufferAttribute(new Float32Array(6 * LANDMARK_EDGES.length), 3));
    const lines = new THREE.LineSegments(geom, new THREE.LineBasicMaterial({ color, transparent: true, opacity: 0.9, depthTest: false }));
    lines.renderOrder = 1;
    this.content.add(lines);
    return lines;
  }

  private updateGhost(lines: THREE.LineSegments | null, pts: Points | undefined): void {
    if (!lines) return;
    if (!pts || pts.length < 33) { lines.geometry.setDrawRange(0, 0); return; }
    const attr = lines.geometry.getAttribute('position') as THREE.BufferAttribute;
    LANDMARK_EDGES.forEach(([a, b], e) => {
      attr.setXYZ(2 * e, pts[a]![0]!, pts[a]![1]!, pts[a]![2]!);
      attr.setXYZ(2 * e + 1, pts[b]![0]!, pts[b]![1]!, pts[b]![2]!);
    });
    attr.needsUpdate = true;
    lines.geometry.setDrawRange(0, 2 * LANDMARK_EDGES.length);
    lines.geometry.computeBoundingSphere();
  }

  private contactMarker(): THREE.Mesh {
    const m = new THREE.Mesh(
      new THREE.RingGeometry(0.06, 0.1, 32).rotateX(-Math.PI / 2),
      new THREE.MeshBasicMaterial({ color: COLORS.contact, transparent: true, opacity: 0.9, side: THREE.DoubleSide }),
    );
    m.visible = false;
    this.content.add(m);
    return m;
  }

  /** The video camera as a wireframe pyramid (apex at the centre, image plane `depth` metres away). */
  private buildFrustum(cam: MotionFile['camera'], size: { width: number; height: number }, depth = 0.6): void {
    const pc = { ...cam, rotation: cam.rotation as [number, number, number, number], position: cam.position as Vec3 };
    const c = new THREE.Vector3(...cam.position);
    const corners = [[0, 0], [size.width, 0], [size.width, size.height], [0, size.height]].map(([u, v]) => {
      const d = pixelRay(pc, u!, v!);
      return new THREE.Vector3(...d).multiplyScalar(depth).add(c);
    });
    const top = pixelRay(pc, size.width / 2, -size.height * 0.18);
    const pts: THREE.Vector3[] = [];
    for (let k = 0; k < 4; k++) pts.push(c, corners[k]!, corners[k]!, corners[(k + 1) % 4]!);
    // A small triangle above the image's top edge marks "up".
    const apex = new THREE.Vector3(...top).multiplyScalar(depth).add(c);
    pts.push(corners[0]!.clone().lerp(corners[1]!, 0.3), apex, apex, corners[0]!.clone().lerp(corners[1]!, 0.7));
    const lines = new THREE.LineSegments(new THREE.BufferGeometry().setFromPoints(pts), new THREE.LineBasicMaterial({ color: COLORS.frustum }));
    const dot = new THREE.Mesh(new THREE.SphereGeometry(0.03, 12, 8), new THREE.MeshBasicMaterial({ color: COLORS.frustum }));
    dot.position.copy(c);
    this.content.add(lines, dot);
  }

  /** Points the orbit camera at the subject, from the front-right, with the video camera in view. */
  private frameView(): void {
    const b = this.bundle!;
    const pts = b.motion?.frames.flatMap((f) => f.joints3d) ?? b.truth?.frames.flatMap((f) => f.joints3d) ?? [];
    const box = new THREE.Box3();
    const v = new THREE.Vector3();
    for (let k = 0; k < pts.length; k += 7) box.expandByPoint(v.fromArray(pts[k] as number[]));
    const center = box.isEmpty() ? new THREE.Vector3(0, 0.9, 0) : box.getCenter(new THREE.Vector3());
    const size = box.isEmpty() ? 1.8 : Math.max(1.8, box.getSize(new THREE.Vector3()).length());
    const cam = b.motion?.camera ?? b.truth?.camera;
    // Look from the side of the video camera, rotated 35° around the subject, a little higher.
    const from = cam ? new THREE.Vector3(...cam.position).sub(center).setY(0) : new THREE.Vector3(0, 0, 1);
    if (from.lengthSq() < 1e-6) from.set(0, 0, 1);
    from.normalize().applyAxisAngle(new THREE.Vector3(0, 1, 0), 0.9);
    // Fit the body and the video camera: aim between them, back off until their bounding sphere fits.
    const camPos = cam ? new THREE.Vector3(...cam.position) : null;
    if (camPos) center.lerp(camPos.clone().setY(center.y), 0.22);
    let radius = size / 2;
    if (camPos) radius = Math.max(radius, camPos.distanceTo(center) + 0.2);
    const dist = (0.72 * radius) / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2));
    this.camera.position.copy(center).addScaledVector(from, dist).add(new THREE.Vector3(0, 0.3 * dist, 0));
    this.controls.target.copy(center);
    this.controls.update();
  }

  /** The ground's diffuse colour under the hemisphere light and the sun (what the lit material shows without shadow). */
  private litGroundColor(): THREE.Color {
    const up = new THREE.Vector3(0, 1, 0);
    const irradiance = new THREE.Color(LIGHTS.sky).multiplyScalar(LIGHTS.hemisphere)
      .add(new THREE.Color(0xffffff).multiplyScalar(LIGHTS.sun * Math.max(0, up.dot(SUN.clone().normalize()))));
    return new THREE.Color(COLORS.ground).multiply(irradiance).multiplyScalar(1 / Math.PI);
  }

  private disposeContent(): void {
    // Whichever look a swapped mesh wears now (full while paused, fast while playing),
    // the other one is on no mesh: collect both, and everything worn, then dispose each once.
    const owned = new Set<{ dispose(): void }>(this.swaps.flatMap(({ full, fast }) => [full.material, full.geometry, fast.material, fast.geometry]));
    this.content.traverse((o) => {
      const m = o as THREE.Mesh;
      if (m.geometry) owned.add(m.geometry);
      const mat = m.material as THREE.Material | THREE.Material[] | undefined;
      for (const x of Array.isArray(mat) ? mat : mat ? [mat] : []) owned.add(x);
    });
    for (const x of owned) x.dispose();
    this.scene.remove(this.content);
    this.content = new THREE.Group();
    this.scene.add(this.content);
    this.cylinders = null;
    this.spheres = null;
    this.landmarkPoints = null;
    this.skeletonLines = null;
    this.skeletonFrames = [];
    this.ghosts = { kinematic: null, truth: null };
    this.contactMarkers = null;
    this.forceArrows = null;
    this.swaps = [];
  }
}
