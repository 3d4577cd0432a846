/**
 * @myelin/zoo-cnn: convolutional networks with torchvision's parameter names, so a torchvision
 * state dict loads by name — LeNet-5, AlexNet, VGG-11/13/16/19 (± batch norm), ResNet-18/34/50,
 * GoogLeNet and its Inception block, DenseNet and its blocks, squeeze-and-excitation — and small
 * variants of each for 28×28 single-channel images; and `recipes` (`lenet5-mnist`,
 * `resnet-fashion`), the zoo's named training runs for `myelin train` and the playground.
 *
 * ```ts
 * import { use, loadSafetensors } from '@myelin/core';
 * import { cpuBackend } from '@myelin/backend-cpu';
 * import { resnet18, resnetSmall } from '@myelin/zoo-cnn';
 * await use(cpuBackend());
 * const net = resnet18();
 * net.loadStateDict(loadSafetensors(bytes).tensors);   // torchvision's keys: conv1.weight, layer1.0.bn1.running_mean, …
 * const logits = net.eval().forward(images);           // [N, 3, 224, 224] → [N, 1000]
 * const small = resnetSmall();                         // [N, 1, 28, 28] → [N, 10]
 * ```
 */
export * from './adversarial.js';
export * from './alexnet.js';
export * from './autoencoders.js';
export * from './densenet.js';
export * from './googlenet.js';
export {
  type BuilderOptions,
  checkImageInput,
  describeInput,
  type ImageClassifier,
  type ImageInput,
} from './input.js';
export * from './interpret.js';
export * from './lenet.js';
export * from './pca.js';
export * from './recipes/index.js';
export * from './resnet.js';
export * from './squeeze-excitation.js';
export * from './vae.js';
export * from './vgg.js';
