import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { LANDMARK_EDGES } from '../../src/formats/landmarks.ts';
import type { MotionFile } from '../../src/formats/motion.ts';
import { pixelRay } from '../../src/geometry/camera.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { forwardKinematics, skeletonTopology } from '../../src/export/pose.ts';
import { sourceSize, type ResultBundle } from './load.ts';

export const COLORS = {
  body: 0x8fb3e0, skeleton: 0xffd166, kinematic: 0xf4845f, truth: 0x5ad17a, contact: 0xef476f,
  frustum: 0x3ad0ff, ground: 0x20252d, grid: 0x3a4350,
};

/** Headless / software GL (SwiftShader): skip MSAA, which costs most of a frame on the CPU. */
const SOFTWARE_RENDERING = (/HeadlessChrome/.test(navigator.userAgent) || new URLSearchParams(location.search).has('fast'))
  && !new URLSearchParams(location.search).has('quality');

/**
 * Drawing-buffer scale while playing. SwiftShader shades every pixel on the CPU
 * and a full-size frame of this scene costs ~5× the 33 ms a 30 fps frame may take;
 * a quarter of the pixels while the body moves (full size again on pause, so
 * inspected and scrubbed frames look as before).
 */
const PLAYING_PIXEL_SCALE = SOFTWARE_RENDERING ? 0.5 : 1;
/** Shadow map size (texels per side) when paused, and while playing: the shadow pass re-renders every played frame. */
const SHADOW_MAP_SIZE = 1024;
const PLAYING_SHADOW_MAP_SIZE = SOFTWARE_RENDERING ? 512 : SHADOW_MAP_SIZE;
/** Half-size of the sun's shadow camera (metres), and the sun's position (it aims at the origin). */
const SHADOW_EXTENT = 4;
const SUN = new THREE.Vector3(3, 6, 4);
/** Radius of the ground disc the shadow camera covers: its square, stretched along the sun's azimuth by 1/sin(elevation). */
const SHADOW_RADIUS = Math.hypot(SHADOW_EXTENT, (SHADOW_EXTENT * SUN.length()) / SUN.y);

/** A landmark index, or a point between two landmarks. */
type Anchor = number | readonly [number, number];
const MID_SHOULDER = [11, 12] as const;
const MID_HIP = [23, 24] as const;
const MID_EAR = [7, 8] as const;

/** Capsules of the body drawn between landmarks: [from, to, radius in metres]. */
const CAPSULES: ReadonlyArray<readonly [Anchor, Anchor, number]> = [
  [MID_SHOULDER, MID_HIP, 0.1], [11, 12, 0.05], [23, 24, 0.075], [MID_SHOULDER, MID_EAR, 0.045],
  [11, 13, 0.045], [13, 15, 0.037], [12, 14, 0.045], [14, 16, 0.037], [15, 19, 0.03], [16, 20, 0.03],
  [23, 25, 0.068], [25, 27, 0.05], [24, 26, 0.068], [26, 28, 0.05], [29, 31, 0.035], [30, 32, 0.035], [27, 29, 0.04], [28, 30, 0.04],
];
const HEAD_RADIUS = 0.1;
const FOOT = { left: [29, 31] as const, right: [30, 32] as const };

/** Landmark positions of one frame, from joints3d. */
type Points = ReadonlyArray<readonly number[]>;

function anchor(points: Points, a: Anchor, out: THREE.Vector3): THREE.Vector3 {
  if (typeof a === 'number') return out.fromArray(points[a] as number[]);
  const p = points[a[0]]!;
  const q = points[a[1]]!;
  return out.set((p[0]! + q[0]!) / 2, (p[1]! + q[1]!) / 2, (p[2]! + q[2]!) / 2);
}

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
  private bundle: ResultBundle | null = null;
  private needsRender = true;
  private groundY = 0;
  private basePixelRatio = Math.min(2, window.devicePixelRatio || 1);
  private playbackQuality = false;
  private sun: THREE.DirectionalLight;
  frame = 0;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: !SOFTWARE_RENDERING, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(this.basePixelRatio);
    this.renderer.shadowMap.enabled = true;
    this.renderer.shadowMap.type = THREE.PCFShadowMap;
    this.scene.background = new THREE.Color(0x15181d);
    this.scene.fog = new THREE.Fog(0x15181d, 12, 30);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', () => this.requestRender());
    this.scene.add(new THREE.HemisphereLight(0xdde6ff, 0x2a2420, 1.1));
    const sun = new THREE.DirectionalLight(0xffffff, 2.0);
    sun.position.copy(SUN);
    sun.castShadow = true;
    sun.shadow.mapSize.set(SHADOW_MAP_SIZE, SHADOW_MAP_SIZE);
    Object.assign(sun.shadow.camera, { left: -SHADOW_EXTENT, right: SHADOW_EXTENT, top: SHADOW_EXTENT, bottom: -SHADOW_EXTENT, near: 0.5, far: 20 });
    sun.shadow.bias = -0.0005;
    this.scene.add(sun, sun.target);
    this.sun = sun;
    this.scene.add(this.content);
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  requestRender(): void { this.needsRender = true; }

  /** Playing: render at PLAYING_PIXEL_SCALE of the resolution; paused: full resolution again. */
  setPlaybackQuality(playing: boolean): void {
    if (playing === this.playbackQuality) return;
    this.playbackQuality = playing;
    this.renderer.setPixelRatio(this.basePixelRatio * (playing ? PLAYING_PIXEL_SCALE : 1));
    const size = playing ? PLAYING_SHADOW_MAP_SIZE : SHADOW_MAP_SIZE;
    if (this.sun.shadow.mapSize.x !== size) {
      this.sun.shadow.mapSize.set(size, size);
      // three.js allocates a new map of the new size on the next render.
      this.sun.shadow.map?.dispose();
      this.sun.shadow.map = null;
    }
    this.resize();
  }

  resize(): void {
    const w = this.canvas.clientWidth || 1;
    const h = this.canvas.clientHeight || 1;
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

  /** Shows frame i of every layer. */
  setFrame(i: number): void {
    this.frame = i;
    const b = this.bundle;
    if (!b) return;
    const mf = b.motion?.frames[i];
    if (mf) {
      const pts = mf.joints3d;
      const va = new THREE.Vector3();
      const vb = new THREE.Vector3();
      const hasLandmarks = pts.length >= 33;
      if (hasLandmarks && this.cylinders && this.spheres) {
        const m = new THREE.Matrix4();
        const q = new THREE.Quaternion();
        const up = new THREE.Vector3(0, 1, 0);
        const one = new THREE.Vector3();
        CAPSULES.forEach(([from, to, r], k) => {
          anchor(pts, from, va);
          anchor(pts, to, vb);
          this.spheres!.setMatrixAt(2 * k, m.compose(va, q.identity(), one.setScalar(r)));
          this.spheres!.setMatrixAt(2 * k + 1, m.compose(vb, q, one));
          const len = va.distanceTo(vb);
          const mid = va.clone().add(vb).multiplyScalar(0.5);
          if (len > 1e-6) q.setFromUnitVectors(up, vb.sub(va).normalize());
          this.cylinders!.setMatrixAt(k, m.compose(mid, q, one.set(r, Math.max(len, 1e-4), r)));
        });
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
    const inner = SHADOW_RADIUS;
    const shadowed = new THREE.Mesh(new THREE.CircleGeometry(inner, 64).rotateX(-Math.PI / 2), material);
    shadowed.receiveShadow = true;
    const ring = new THREE.Mesh(new THREE.RingGeometry(inner, 12, 64, 1).rotateX(-Math.PI / 2), material);
    const ground = new THREE.Group().add(shadowed, ring);
    ground.position.y = this.groundY;
    const grid = new THREE.GridHelper(20, 40, 0x55606f, COLORS.grid);
    grid.position.y = this.groundY + 0.001;
    (grid.material as THREE.Material).transparent = true;
    (grid.material as THREE.Material).opacity = 0.6;
    this.content.add(ground, grid);
  }

  private buildBody(): void {
    const material = new THREE.MeshStandardMaterial({ color: COLORS.body, roughness: 0.55, metalness: 0.05 });
    this.body = new THREE.Group();
    this.cylinders = new THREE.InstancedMesh(new THREE.CylinderGeometry(1, 1, 1, 16, 1, true), material, CAPSULES.length);
    this.spheres = new THREE.InstancedMesh(new THREE.SphereGeometry(1, 16, 12), material, 2 * CAPSULES.length + 1);
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
    this.content.add(this.body, this.landmarkPoints);
  }

  private buildSkeleton(motion: MotionFile): void {
    const topo = skeletonTopology(motion.skeleton);
    const n = topo.names.length;
    this.skeletonFrames = motion.frames.map((frame) => {
      const fk = forwardKinematics(topo, frame).positions;
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

  private disposeContent(): void {
    this.content.traverse((o) => {
      const m = o as THREE.Mesh;
      m.geometry?.dispose();
      const mat = m.material as THREE.Material | THREE.Material[] | undefined;
      if (Array.isArray(mat)) mat.forEach((x) => x.dispose()); else mat?.dispose();
    });
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
  }
}
