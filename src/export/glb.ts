import { Document, WebIO, type Node as GltfNode } from '@gltf-transform/core';
import type { MotionFile } from '../formats/motion.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { restPositions, rootRotation, skeletonTopology } from './pose.ts';

/**
 * glTF 2.0 binary (GLB) writer, built with @gltf-transform/core (runs in Node
 * and in the browser; three's GLTFExporter does not run in Node).
 *
 * Content: one node per skeleton joint (names and hierarchy of motion.json's
 * skeleton; rest translation = offset, rest rotation = identity), a skin over
 * those joints with a simple mesh (one octahedral "bone" per parent→child
 * segment, rigidly bound to the parent), and one animation "motion" with a
 * rotation channel per joint and a translation channel for the root, one
 * LINEAR key per frame at t = i / fps. Units: metres, y up (glTF's own convention).
 */
export interface GlbOptions {
  /** Animation name. */
  animationName?: string;
  /** Include the skinned bone mesh (off: an articulated node skeleton only). */
  mesh?: boolean;
  /** Bone mesh half-width as a fraction of the bone length, clamped to [minWidth, maxWidth] metres. */
  boneWidth?: number;
  minWidth?: number;
  maxWidth?: number;
}

export const GLB_DEFAULTS: Required<GlbOptions> = {
  animationName: 'motion',
  mesh: true,
  boneWidth: 0.12,
  minWidth: 0.01,
  maxWidth: 0.05,
};

/** motion.json → GLB bytes. */
export async function motionToGlb(motion: MotionFile, options: GlbOptions = {}): Promise<Uint8Array> {
  const o = { ...GLB_DEFAULTS, ...options };
  const topo = skeletonTopology(motion.skeleton);
  const n = topo.names.length;
  const doc = new Document();
  doc.getRoot().getAsset().generator = 'optimus-motion';
  const buffer = doc.createBuffer();
  const scene = doc.createScene('scene');
  doc.getRoot().setDefaultScene(scene);

  const nodes: GltfNode[] = topo.names.map((name, j) => doc.createNode(name).setTranslation([...topo.offsets[j]!] as Vec3));
  topo.parents.forEach((p, j) => (p < 0 ? scene.addChild(nodes[j]!) : nodes[p]!.addChild(nodes[j]!)));

  if (o.mesh) {
    const rest = restPositions(topo);
    const skin = doc.createSkin('skeleton');
    nodes.forEach((node) => skin.addJoint(node));
    const root = topo.parents.findIndex((p) => p < 0);
    skin.setSkeleton(nodes[root]!);
    // Rest rotations are identity, so each inverse bind matrix is a translation by −restPosition.
    const ibm = new Float32Array(16 * n);
    rest.forEach((p, j) => {
      ibm.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, -p[0], -p[1], -p[2], 1], 16 * j);
    });
    skin.setInverseBindMatrices(doc.createAccessor('inverseBindMatrices').setType('MAT4').setArray(ibm).setBuffer(buffer));

    const geometry = boneMesh(topo.parents, rest, o);
    if (geometry.positions.length > 0) {
      const prim = doc.createPrimitive()
        .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(geometry.positions).setBuffer(buffer))
        .setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(geometry.normals).setBuffer(buffer))
        .setAttribute('JOINTS_0', doc.createAccessor().setType('VEC4').setArray(geometry.joints).setBuffer(buffer))
        .setAttribute('WEIGHTS_0', doc.createAccessor().setType('VEC4').setArray(geometry.weights).setBuffer(buffer))
        .setMaterial(doc.createMaterial('body').setBaseColorFactor([0.55, 0.68, 0.85, 1]).setRoughnessFactor(0.7));
      const meshNode = doc.createNode('body').setMesh(doc.createMesh('body').addPrimitive(prim)).setSkin(skin);
      scene.addChild(meshNode);
    }
  }

  const frames = motion.frames;
  if (frames.length > 0) {
    const anim = doc.createAnimation(o.animationName);
    const times = new Float32Array(frames.length);
    frames.forEach((_, i) => { times[i] = i / motion.fps; });
    const input = doc.createAccessor('time').setType('SCALAR').setArray(times).setBuffer(buffer);
    const addChannel = (node: GltfNode, path: 'rotation' | 'translation', values: Float32Array, type: 'VEC3' | 'VEC4') => {
      const sampler = doc.createAnimationSampler()
        .setInput(input)
        .setOutput(doc.createAccessor().setType(type).setArray(values).setBuffer(buffer))
        .setInterpolation('LINEAR');
      anim.addSampler(sampler).addChannel(doc.createAnimationChannel().setTargetNode(node).setTargetPath(path).setSampler(sampler));
    };
    for (let j = 0; j < n; j++) {
      const rot = new Float32Array(4 * frames.length);
      const isRoot = topo.parents[j]! < 0;
      frames.forEach((f, i) => {
        const q = isRoot ? rootRotation(f, j) : f.rotations[j]!;
        const len = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
        rot.set([q[0] / len, q[1] / len, q[2] / len, q[3] / len], 4 * i);
      });
      addChannel(nodes[j]!, 'rotation', rot, 'VEC4');
      if (isRoot) {
        const pos = new Float32Array(3 * frames.length);
        frames.forEach((f, i) => pos.set(f.root.position, 3 * i));
        addChannel(nodes[j]!, 'translation', pos, 'VEC3');
      }
    }
  }
  return new WebIO().writeBinary(doc);
}

interface BoneGeometry { positions: Float32Array; normals: Float32Array; joints: Uint16Array; weights: Float32Array }

/** One octahedron per parent→child segment in the rest pose, flat-shaded, bound to the parent joint. */
function boneMesh(parents: number[], rest: Vec3[], o: Required<GlbOptions>): BoneGeometry {
  const pos: number[] = [];
  const nor: number[] = [];
  const jnt: number[] = [];
  parents.forEach((p, j) => {
    if (p < 0) return;
    const a = rest[p]!;
    const b = rest[j]!;
    const d: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    const len = Math.hypot(...d);
    if (len < 1e-6) return;
    const u: Vec3 = [d[0] / len, d[1] / len, d[2] / len];
    const helper: Vec3 = Math.abs(u[1]) < 0.9 ? [0, 1, 0] : [1, 0, 0];
    const s = normalize(cross(u, helper));
    const t = cross(u, s);
    const w = Math.min(o.maxWidth, Math.max(o.minWidth, o.boneWidth * len));
    const mid: Vec3 = [a[0] + d[0] * 0.2, a[1] + d[1] * 0.2, a[2] + d[2] * 0.2];
    const ring: Vec3[] = [[1, 0], [0, 1], [-1, 0], [0, -1]].map(([x, y]) =>
      [mid[0] + w * (x! * s[0] + y! * t[0]), mid[1] + w * (x! * s[1] + y! * t[1]), mid[2] + w * (x! * s[2] + y! * t[2])]);
    for (let k = 0; k < 4; k++) {
      const r0 = ring[k]!;
      const r1 = ring[(k + 1) % 4]!;
      for (const tri of [[a, r1, r0], [b, r0, r1]] as Vec3[][]) {
        const nrm = normalize(cross(sub(tri[1]!, tri[0]!), sub(tri[2]!, tri[0]!)));
        for (const v of tri) { pos.push(...v); nor.push(...nrm); jnt.push(p, 0, 0, 0); }
      }
    }
  });
  const count = pos.length / 3;
  const weights = new Float32Array(4 * count);
  for (let i = 0; i < count; i++) weights[4 * i] = 1;
  return { positions: new Float32Array(pos), normals: new Float32Array(nor), joints: new Uint16Array(jnt), weights };
}

function sub(a: Vec3, b: Vec3): Vec3 { return [a[0] - b[0], a[1] - b[1], a[2] - b[2]]; }
function cross(a: Vec3, b: Vec3): Vec3 { return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]; }
function normalize(v: Vec3): Vec3 { const n = Math.hypot(...v) || 1; return [v[0] / n, v[1] / n, v[2] / n]; }
