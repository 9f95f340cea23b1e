// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stateless decoder node (dev-stateless-decoder.rst): its own V4L2
 * device and media device beside the stateful node's, so that the request
 * API's locking (the media device's req_queue_mutex, taken before the
 * ioctl lock) never touches the stateful node, and its own video node and
 * graph. Contexts of both nodes share the bridge, its id space and the
 * hand-over machinery.
 */
#include <linux/module.h>

#include "daedalus.h"

bool daedalus_stateless = true;
module_param_named(stateless, daedalus_stateless, bool, 0444);
MODULE_PARM_DESC(stateless, "also register the stateless decoder node (request API; default: on)");

/* The last reference to the stateless V4L2 device: let go of the stateful one, which owns ddev. */
static void daedalus_sl_release(struct v4l2_device *v4l2_dev)
{
	struct daedalus_dev *ddev = container_of(v4l2_dev, struct daedalus_dev, sl.v4l2_dev);

	media_device_cleanup(&ddev->sl.mdev);
	v4l2_device_put(&ddev->v4l2_dev);
}

static void daedalus_sl_init_vdev(struct daedalus_dev *ddev)
{
	struct video_device *vdev = &ddev->sl.vdev;

	strscpy(vdev->name, DAEDALUS_SL_CARD_NAME, sizeof(vdev->name));
	vdev->vfl_dir = VFL_DIR_M2M;
	vdev->fops = &daedalus_sl_fops;
	vdev->ioctl_ops = &daedalus_sl_ioctl_ops;
	vdev->device_caps = V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING;
	/* Per-handle locking, with the request API's rule (daedalus_sl_ioctl()). */
	vdev->lock = NULL;
	vdev->release = video_device_release_empty;
	vdev->v4l2_dev = &ddev->sl.v4l2_dev;
	video_set_drvdata(vdev, ddev);
}

/**
 * daedalus_sl_register - register the stateless node, if the module was asked to
 * @ddev: the device, its stateful node registered
 *
 * Return: 0 or a negative errno; on error nothing of the node stays.
 */
int daedalus_sl_register(struct daedalus_dev *ddev)
{
	struct daedalus_sl_node *sl = &ddev->sl;
	int ret;

	if (!daedalus_stateless)
		return 0;

	sl->mdev.dev = ddev->dev;
	sl->mdev.ops = &daedalus_sl_media_ops;
	strscpy(sl->mdev.model, DAEDALUS_SL_CARD_NAME, sizeof(sl->mdev.model));
	strscpy(sl->mdev.bus_info, "platform:" DAEDALUS_NAME "-sl", sizeof(sl->mdev.bus_info));
	media_device_init(&sl->mdev);
	sl->v4l2_dev.mdev = &sl->mdev;
	strscpy(sl->v4l2_dev.name, DAEDALUS_NAME "-sl", sizeof(sl->v4l2_dev.name));

	ret = v4l2_device_register(ddev->dev, &sl->v4l2_dev);
	if (ret) {
		media_device_cleanup(&sl->mdev);
		return ret;
	}
	/* Open handles of this node keep ddev alive through the stateful device. */
	v4l2_device_get(&ddev->v4l2_dev);
	sl->v4l2_dev.release = daedalus_sl_release;

	daedalus_sl_init_vdev(ddev);
	ret = video_register_device(&sl->vdev, VFL_TYPE_VIDEO, -1);
	if (ret) {
		v4l2_err(&sl->v4l2_dev, "cannot register the stateless video node: %d\n", ret);
		goto err_v4l2;
	}
	ret = daedalus_media_register(&sl->mdev, &sl->vdev, &sl->media);
	if (ret) {
		v4l2_err(&sl->v4l2_dev, "cannot register the stateless media device: %d\n", ret);
		goto err_vdev;
	}
	sl->registered = true;
	v4l2_info(&sl->v4l2_dev, "stateless decoder %s\n", video_device_node_name(&sl->vdev));
	return 0;

err_vdev:
	video_unregister_device(&sl->vdev);
err_v4l2:
	v4l2_device_unregister(&sl->v4l2_dev);
	v4l2_device_put(&sl->v4l2_dev);
	return ret;
}

/**
 * daedalus_sl_unregister - take the stateless node away
 * @ddev: the device
 *
 * Open handles keep their memory until they are closed; a request fd
 * keeps the module (daedalus-sl-request.c), so none outlives this.
 */
void daedalus_sl_unregister(struct daedalus_dev *ddev)
{
	struct daedalus_sl_node *sl = &ddev->sl;

	if (!sl->registered)
		return;
	sl->registered = false;
	daedalus_media_unregister(&sl->mdev, &sl->media);
	video_unregister_device(&sl->vdev);
	v4l2_device_unregister(&sl->v4l2_dev);
	v4l2_device_put(&sl->v4l2_dev);
}
